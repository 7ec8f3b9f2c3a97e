-- PLACEHOLDER (branch hipaa-log only): keeps the migration sequence contiguous so 0015 applies here.
-- Drop this file on merge: the real 0011 comes from another helper's branch.
SELECT 1;
