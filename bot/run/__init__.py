"""Running the system: the process launcher, the dev stack for tests, training, periodic jobs and retention."""
