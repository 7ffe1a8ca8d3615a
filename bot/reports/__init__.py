"""Resident reports (通報): case rules, duplicates, notifications, spool, categories, photos, exports."""
