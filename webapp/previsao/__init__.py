""" "Quando fica pronto?": a predicted finish for every open order, learned from the shop's own
history (docs/PREVISAO.md). Pure: numpy arrays and dataclasses in and out, nothing from the web,
the database or the other features; `forecast.prever` is the whole recompute."""
