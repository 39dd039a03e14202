"""Pure functions of the journey runtime: criteria, waits, data binding, steps."""
