"""The local AWS endpoint: moto server with durable state and an optional hostile mode."""
