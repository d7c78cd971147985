"""Record and replay: raw market frames and the REST responses books were seeded from."""
