## English: the default.

cli-error = error
