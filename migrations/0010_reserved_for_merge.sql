-- Placeholder on branch h6-claims only: the lead assigned migration 0012 to claims, and the runner needs an
-- unbroken sequence. Dropped at merge time, where the other branches' migrations take this number.
SELECT 1;
