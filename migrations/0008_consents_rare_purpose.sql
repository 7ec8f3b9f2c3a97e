-- Consents-table filter on a purpose other than TREAT (issue #3: a 1,000,000-row table filtered on ETREAT walked
-- every row, ~450 ms in main). Same pattern as consents_not_active: the common value walks the primary key,
-- the rarer ones get a partial index in keyset order, and an imported TREAT row pays nothing for it.
-- Numbered 0011 in the issue's plan: renumber at merge time to follow the other new migrations.
CREATE INDEX consents_rare_purpose ON consents (purpose, id) WHERE purpose <> 'TREAT';
