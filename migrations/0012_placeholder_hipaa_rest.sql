-- PLACEHOLDER (branch hipaa-rest only): keeps the migration sequence contiguous so 0016 applies here.
-- Drop this file on merge: the real 0012 comes from another helper's branch.
SELECT 1;
