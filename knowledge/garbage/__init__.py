"""Garbage collection from 5374.jp open data: the calendar, the files, the day expressions and the item dictionary."""
