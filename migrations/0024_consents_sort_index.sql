-- 0024: the consents table sorts by period start (issue #15). An index on (period_start, id) makes a sorted page an
-- index walk from the cursor row at any size, in both directions, ties in id order; without it every sorted page was a
-- sort of every consent. Sorting by grantee needs nothing new: consents_by_grantee is (grantee, id). Cost: about 17 bytes
-- per consent built at once, 19 grown by inserts (17-19 MB at a million).
CREATE INDEX consents_by_period_start ON consents (period_start, id);
