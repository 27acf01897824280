""" "Quando fica pronto?": a predicted finish for every open order, learned from the shop's own
history (docs/PREVISAO.md). Its core is pure (calendar, domain, model, survival, simulation,
forecast: numpy arrays and dataclasses in and out, nothing from the web, the database or the
other features; `forecast.prever` is the whole recompute). Around it: service.py feeds it the
queue's reads, repository.py and queries.py keep the forecasts, worker.py recomputes under a
lease, cache.py holds them in memory for the pages."""
