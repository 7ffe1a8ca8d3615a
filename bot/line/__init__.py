"""The LINE channel's server side: event inbox, worker (one handler per event kind), push, worker process; `install(app)` mounts the webhook."""
