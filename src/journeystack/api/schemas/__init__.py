"""Wire schemas: SFMC's camelCase names, request validation and response rendering."""
