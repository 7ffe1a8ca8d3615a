"""The LINE channel's server side: webhook route (routes.install), inbox, worker and its per-kind handlers, worker process and wake-up, push."""
