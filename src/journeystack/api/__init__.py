"""The HTTP edge: routes parse, call one service, serialise; SFMC wire names live only here."""
