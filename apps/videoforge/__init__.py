"""Code shared by the VideoForge services (gallery, streaming, processor).

The services share code only through this package; none imports another service, and
nothing here knows how the services are deployed.
"""
