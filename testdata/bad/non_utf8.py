# proves: a file that is not UTF-8 is reported and skipped
NAME = 'ÿþ café'
