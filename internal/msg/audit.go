package msg

// Data audits (the console's 数据核查): the topology audit's finding kinds
// (internal/audit) and the register coverage audit's reasons
// (internal/registers), as the API labels them.
const (
	AuditKindGap           Key = "audit.kind.gap"
	AuditKindOverlap       Key = "audit.kind.overlap"
	AuditKindOutsideParent Key = "audit.kind.outside_parent"
	AuditKindInvalid       Key = "audit.kind.invalid"
)

// AuditKind is the key of a topology finding kind's label.
func AuditKind(kind string) Key { return Key("audit.kind." + kind) }

// AuditReason is the key of a register coverage finding's label.
func AuditReason(reason string) Key { return Key("audit.reason." + reason) }

var auditTexts = map[Key]Text{
	AuditKindGap:                             {"缝隙", "Gap"},
	AuditKindOverlap:                         {"重叠", "Overlap"},
	AuditKindOutsideParent:                   {"超出上级", "Outside parent"},
	AuditKindInvalid:                         {"几何无效", "Invalid geometry"},
	"audit.reason.no_responsible_worker":     {"无责任网格员", "No responsible worker"},
	"audit.reason.households_off_norm":       {"户数偏离配置标准", "Households off the norm"},
	"audit.reason.population_mismatch":       {"台账人口与登记人口不符", "Register population differs from the official figure"},
	"audit.reason.records_in_non_basic_grid": {"记录落在非基础网格", "Records in a non-basic grid"},
}
