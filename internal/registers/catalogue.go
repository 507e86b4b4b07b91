package registers

// The licence and safety catalogues come from the fourth plan
// (网格化管理工作实施方案, §四 网格职责 (一) 市场监管 and (二).2 安全生产).

// Licence types (证照). Keys are stable; names are the plan's.
var LicenceNames = map[string]string{
	"business_licence":        "工商营业执照",
	"tax_registration":        "税务登记证",
	"production_licence":      "生产许可证",
	"organisation_code":       "组织机构代码证",
	"food_hygiene":            "食品卫生许可证",
	"health_certificate":      "健康证",
	"halal_food":              "清真食品经营许可证",
	"culture_licence":         "网络文化经营许可证",
	"hygiene_licence":         "卫生许可证",
	"fire_safety":             "消防安全许可证",
	"medical_institution":     "医疗机构执业许可证",
	"practising_physician":    "执业医师证",
	"physician_qualification": "医师资格证书",
	"drug_trading":            "药品经营许可证",
	"radiology":               "放射诊疗许可证",
	"training_certificate":    "培训合格证",
	"gas_trading":             "燃气经营许可证",
	"publication_trading":     "出版物经营许可证",
	"printing":                "印刷企业经营许可证",
	"road_transport":          "道路经营许可证",
	"grain_purchase":          "粮食收购许可证",
	"private_school":          "民办学校办学许可证",
	"travel_agency":           "旅行社业务经营许可证",
	"religious_site":          "宗教活动场所登记证",
	"fee_licence":             "收费许可证",
	"fireworks_trading":       "烟花爆竹经营许可证",
	"fireworks_storage":       "存储许可证",
	"safety_production":       "安全生产许可证",
	"chemicals_trading":       "危险化学品经营许可证",
}

// commonLicences every business must hold (通用证件).
var commonLicences = []string{"business_licence", "tax_registration"}

// BusinessTypes maps a business type to its name and the special licences
// (特殊证件) it must hold on top of the common ones.
var BusinessTypes = map[string]struct {
	Name     string
	Licences []string
}{
	"shop":                {"沿街门店", nil},
	"manufacturer":        {"生产企业", []string{"production_licence"}},
	"office":              {"楼宇企业", []string{"organisation_code"}},
	"restaurant":          {"餐饮机构", []string{"food_hygiene", "health_certificate"}},
	"halal_restaurant":    {"清真餐饮", []string{"food_hygiene", "health_certificate", "halal_food"}},
	"internet_cafe":       {"网吧、电子游戏厅、歌舞娱乐场所", []string{"culture_licence"}},
	"public_venue":        {"商场、酒店、宾馆、超市", []string{"hygiene_licence", "fire_safety", "health_certificate"}},
	"medical":             {"医疗单位", []string{"medical_institution", "practising_physician", "physician_qualification"}},
	"pharmacy":            {"药店", []string{"drug_trading"}},
	"radiology":           {"放射诊疗单位", []string{"radiology", "practising_physician", "physician_qualification", "training_certificate"}},
	"lpg_seller":          {"液化石油气经营单位", []string{"gas_trading"}},
	"bookstore":           {"书店、音像店、报刊亭", []string{"publication_trading"}},
	"printing":            {"印刷复制企业、打字复印店", []string{"printing"}},
	"transport":           {"运输企业", []string{"road_transport"}},
	"grain_buyer":         {"粮食收购者", []string{"grain_purchase"}},
	"private_school":      {"民办学校、幼儿园", []string{"private_school"}},
	"travel_agency":       {"旅行社", []string{"travel_agency"}},
	"religious_site":      {"宗教活动场所", []string{"religious_site"}},
	"property_management": {"物业管理公司", []string{"fee_licence"}},
	"fireworks_seller":    {"烟花爆竹经营单位", []string{"fireworks_trading", "fireworks_storage"}},
	"hazardous_chemicals": {"危险化学品生产经营存储单位", []string{"safety_production", "chemicals_trading"}},
}

// RequiredLicences returns the licences a business of type t must hold.
func RequiredLicences(t string) []string {
	bt, ok := BusinessTypes[t]
	if !ok {
		return nil
	}
	return append(append([]string{}, commonLicences...), bt.Licences...)
}

// PlaceTypes maps a place-of-concern type to its name and safety checklist.
var PlaceTypes = map[string]struct {
	Name      string
	Checklist []string
}{
	"dangerous_waters": {"危险水域", []string{"警示标志齐全", "防护栏完好", "救生设施配备到位"}},
	"security_hotspot": {"治安重点地区", []string{"定期巡逻", "照明和监控覆盖"}},
	"rental_housing": {"出租房屋（城中村）", []string{"疏散通道畅通", "应急照明、灭火器、烟感报警器配备",
		"专用电瓶车存放间，无私拉电线充电", "张贴电瓶车集中充电须知和火场逃生须知", "门禁火灾时可手动开启"}},
	"lpg_seller":          {"液化石油气经营单位", []string{"持燃气经营许可证", "安装燃气泄漏报警装置", "钢瓶经过检测且防撞套齐全"}},
	"fireworks_seller":    {"烟花爆竹经营单位", []string{"持经营许可证和存储许可证", "从业人员有专业培训资格证", "灭火器、防爆灯、灭火毯配备到位"}},
	"special_equipment":   {"特种设备使用单位", []string{"特种设备在质监部门登记", "定期检测合格且年检标志醒目", "操作人员持特种作业人员证书"}},
	"hazardous_chemicals": {"危险化学品生产经营存储单位", []string{"持安全生产许可证和经营许可证", "建设项目有安全许可意见书"}},
	"crowded_place": {"人员密集场所", []string{"经消防审核验收合格", "符合安全疏散要求，无违章用火用电", "消防设施完好、安全出口畅通",
		"负责人和自动消防设施操作人员有培训资格证"}},
	"construction_site": {"在建工地", []string{"起重机械和施工工具定期检验合格", "劳动防护用品配备佩戴到位", "脚手架、安全网使用阻燃材料，高层设临时消防供水",
		"明火作业有现场监护", "未竣工建筑内无职工集体宿舍", "特种作业人员持证"}},
}

// PersonTags are the vulnerable-group tags of the people register.
var PersonTags = map[string]string{
	"elderly_alone": "独居老人",
	"low_income":    "低保/低收入",
	"disabled":      "残疾人",
	"unemployed":    "下岗失业",
	"migrant":       "流动人口",
	"special_needs": "特困",
}
