"""The local twin's runtime: what `make up` runs on this machine in place of AWS.

- ``twin.emulator``: the local AWS endpoint (moto server with durable state on disk and an
  optional hostile mode);
- ``twin.pgctl``: the private PostgreSQL cluster;
- ``twin.stack``: the lifecycle `make` uses (running, url, status, down).

The roles that start these (local_supervisor, local_postgres) name them by module path
(``python -m twin.emulator``), with the repository as the working directory.
"""
