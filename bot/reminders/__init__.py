"""Garbage-day and snowplow reminders: who is due a push (delivery) and the job that pushes over LINE."""
