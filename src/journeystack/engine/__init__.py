"""The journey engine's driver: a thread per server process that works what falls due."""
