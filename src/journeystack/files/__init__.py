"""Journeys as files: the export layout, mcdev's `retrieve/` layout, export, import and offline
validation (`journeystack export`, `import`, `validate`)."""
