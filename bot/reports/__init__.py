"""Resident reports (通報): the case service, categories, photos, exports and daily upkeep."""
