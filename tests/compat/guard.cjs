'use strict';
// Preloaded into every client process the compatibility suite runs (NODE_OPTIONS=--require).
// It records each outbound connection the process opens and refuses those that would leave this
// machine: the suite must only ever talk to journeystack on the loopback interface.
const fs = require('node:fs');
const net = require('node:net');

const logFile = process.env.JOURNEYSTACK_COMPAT_CONNECTIONS;
// Host names the hosts file maps to 127.0.0.1 in the TLS setup.
const allowed = new Set((process.env.JOURNEYSTACK_COMPAT_ALLOWED_HOSTS || '').split(',').filter(Boolean));

function isLocal(host) {
    return host === 'localhost' || host === '::1' || /^127\./.test(host) || allowed.has(host);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
    let options = args[0];
    if (Array.isArray(options)) {
        options = options[0]; // net.connect() passes its normalised arguments on
    }
    if (options && typeof options === 'object' && options.path) {
        return connect.apply(this, args); // a local (Unix) socket
    }
    let host;
    let port;
    if (options && typeof options === 'object') {
        host = options.host;
        port = options.port;
    } else {
        port = options;
        host = typeof args[1] === 'string' ? args[1] : undefined;
    }
    host = host || 'localhost';
    if (logFile) {
        fs.appendFileSync(logFile, `${host}:${port}\n`);
    }
    if (!isLocal(host)) {
        const error = new Error(`journeystack compat guard: refused a connection to ${host}:${port}`);
        process.nextTick(() => this.destroy(error));
        return this;
    }
    return connect.apply(this, args);
};
