-- +goose Up
-- Routing layers carry their responsible unit (职能单位): a road section or a
-- zone that a unit answers for (包路段, 包片). Rules of kind
-- 'responsible_unit' route a case to the unit of the road section the point
-- lies on (or of the zone it lies in); such a rule names no lead unit.
ALTER TABLE zones ADD COLUMN unit_code text REFERENCES departments (code);
ALTER TABLE roads ADD COLUMN unit_code text REFERENCES departments (code);

ALTER TABLE routing_rules DROP CONSTRAINT routing_rules_pred_kind_check;
ALTER TABLE routing_rules ADD CONSTRAINT routing_rules_pred_kind_check
    CHECK (pred_kind IN ('', 'in_zone', 'near_road', 'in_grid', 'responsible_unit'));
ALTER TABLE routing_rules ALTER COLUMN lead_unit DROP NOT NULL;
ALTER TABLE routing_rules ADD CONSTRAINT routing_rules_lead_unit_given
    CHECK ((lead_unit IS NULL) = (pred_kind = 'responsible_unit'));

-- +goose Down
DELETE FROM routing_rules WHERE pred_kind = 'responsible_unit';
ALTER TABLE routing_rules DROP CONSTRAINT routing_rules_lead_unit_given;
ALTER TABLE routing_rules ALTER COLUMN lead_unit SET NOT NULL;
ALTER TABLE routing_rules DROP CONSTRAINT routing_rules_pred_kind_check;
ALTER TABLE routing_rules ADD CONSTRAINT routing_rules_pred_kind_check
    CHECK (pred_kind IN ('', 'in_zone', 'near_road', 'in_grid'));
ALTER TABLE roads DROP COLUMN unit_code;
ALTER TABLE zones DROP COLUMN unit_code;
