-- A job's error as {code, message}: the code in its own column, `error` keeps the message alone. Rows written as
-- "CODE: message" are split (the code being capitals, digits and underscores, as AppError codes are); an
-- interrupted job's note gets JOB_INTERRUPTED; any other stored text stays whole under JOB_FAILED.
ALTER TABLE jobs ADD COLUMN error_code TEXT;

UPDATE jobs
SET error_code = substr(error, 1, instr(error, ': ') - 1),
    error = substr(error, instr(error, ': ') + 2)
WHERE error IS NOT NULL
  AND instr(error, ': ') > 1
  AND error GLOB '[A-Z]*'
  AND substr(error, 1, instr(error, ': ') - 1) NOT GLOB '*[^A-Z0-9_]*';

UPDATE jobs SET error_code = 'JOB_INTERRUPTED' WHERE error IS NOT NULL AND error_code IS NULL AND state = 'interrupted';

UPDATE jobs SET error_code = 'JOB_FAILED' WHERE error IS NOT NULL AND error_code IS NULL;
