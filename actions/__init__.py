"""rasa-sdk adapters: tracker in -> knowledge call -> dispatcher out. One topic per module."""
