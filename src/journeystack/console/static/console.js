// journeystack console: progressive enhancement only. Every page works without this file.
"use strict";
(function () {
  document.documentElement.classList.add("js");

  // Business-unit selector: go on change (the Go button is there without script).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Canvas: zoom buttons, drag to pan, Ctrl+wheel to zoom.
  document.querySelectorAll("[data-canvas]").forEach(function (box) {
    var svg = box.querySelector("svg");
    var scroller = box.querySelector(".canvas-scroll");
    var tools = box.querySelector(".canvas-tools");
    if (!svg || !scroller || !tools) { return; }
    var width = Number(svg.getAttribute("data-width"));
    var height = Number(svg.getAttribute("data-height"));
    var scale = 1;
    function apply() {
      box.classList.remove("fit");
      svg.setAttribute("width", String(Math.round(width * scale)));
      svg.setAttribute("height", String(Math.round(height * scale)));
    }
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) { return; }
      var how = button.getAttribute("data-zoom");
      if (how === "in") { scale = Math.min(3, scale * 1.25); }
      else if (how === "out") { scale = Math.max(0.2, scale / 1.25); }
      else if (how === "fit") { scale = Math.min(1, Math.max(0.2, (scroller.clientWidth - 4) / width)); }
      else { scale = 1; }
      apply();
    });
    scroller.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) { return; }
      event.preventDefault();
      scale = Math.min(3, Math.max(0.2, scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1)));
      apply();
    }, { passive: false });
    var drag = null;
    scroller.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("a")) { return; }
      drag = { x: event.clientX, y: event.clientY, left: scroller.scrollLeft, top: scroller.scrollTop };
      scroller.classList.add("dragging");
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      scroller.scrollLeft = drag.left - (event.clientX - drag.x);
      scroller.scrollTop = drag.top - (event.clientY - drag.y);
    });
    window.addEventListener("pointerup", function () { drag = null; scroller.classList.remove("dragging"); });
  });

  // Problem links: bring the activity into view and focus it.
  document.querySelectorAll("a[data-focus]").forEach(function (link) {
    link.addEventListener("click", function () {
      var node = document.getElementById(link.getAttribute("data-focus"));
      if (node) { node.scrollIntoView({ block: "center", inline: "center" }); node.focus(); }
    });
  });

  // The request journal: fetch the rows newer than the newest shown, every two seconds.
  var live = document.querySelector("button[data-live]");
  var rows = document.getElementById("journal-rows");
  if (live && rows) {
    var latest = Number(live.getAttribute("data-latest")) || 0;
    var on = true;
    live.hidden = false;
    live.addEventListener("click", function () {
      on = !on;
      live.setAttribute("aria-pressed", String(on));
      live.textContent = on ? "Live: on" : "Live: paused";
    });
    var poll = function () {
      if (!on) { return; }
      var address = live.getAttribute("data-live");
      address += (address.indexOf("?") < 0 ? "?" : "&") + "after=" + latest;
      fetch(address, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
        if (!response.ok) { return null; }
        latest = Number(response.headers.get("X-Journal-Latest")) || latest;
        return response.text();
      }).then(function (html) {
        if (!html || !html.trim()) { return; }
        var template = document.createElement("template");
        template.innerHTML = html;
        var fresh = Array.prototype.slice.call(template.content.querySelectorAll("tr"));
        fresh.forEach(function (row) { row.classList.add("fresh"); });
        rows.prepend.apply(rows, fresh);
        var empty = document.getElementById("journal-empty");
        if (empty) { empty.remove(); }
        while (rows.children.length > 200) { rows.lastElementChild.remove(); }
      }).catch(function () { /* the next poll tries again */ });
    };
    window.setInterval(poll, 2000);
  }
})();
