"""The small SOAP surface (SFMC's partner API at /Service.asmx) that real SFMC tools need around
journeys: parsing in envelope.py, rendering in render.py, the calls in endpoint.py."""
