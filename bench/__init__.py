"""On-demand benchmarks (`make bench`), never part of `make test`. `harness.py` holds what they
share: a private mongod, realistic queues, gunicorn with the production config, signed-in
clients, workers' memory and the sections of docs/PERFORMANCE.md."""
