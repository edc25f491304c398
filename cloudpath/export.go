package cloudpath

// Shape of the export that was parsed.
type Shape string

// The export shapes Parse understands.
const (
	// ShapeSinglePool is {metadata, pool, dpsks}, written by the extractor for one pool.
	ShapeSinglePool Shape = "single-pool"
	// ShapeMultiPool is {metadata, dpskPools: [{...pool, dpsks}]} plus unrelated keys.
	ShapeMultiPool Shape = "multi-pool"
	// ShapeLegacyArray is a bare array of DPSKs with no pool metadata.
	ShapeLegacyArray Shape = "legacy-array"
)

// Export is a parsed Cloudpath export: the pools in export order, each with
// its DPSKs in export order. Values are as Cloudpath wrote them; mapping to
// R1 happens in NewPlan.
type Export struct {
	Shape Shape
	Pools []Pool
}

// Pool is a Cloudpath DPSK pool.
type Pool struct {
	GUID, DisplayName string
	// Description holds at most MaxDescriptionLength characters; DescriptionCut
	// counts those of the export's description that were left out.
	Description                string
	DescriptionCut             int
	PhraseDefaultLength        int
	PhraseRandomCharactersType string
	SSIDList                   []string
	EnforceExpirationDate      bool
	ExpirationDateType         string
	ExpirationDateValue        string // Cloudpath writes a string number; numbers are kept as their text
	EnforceDeviceCountLimit    bool
	DeviceCountLimit           int
	DPSKs                      []DPSK
}

// DPSK is one Cloudpath DPSK. Passphrase is a secret: never print it.
type DPSK struct {
	GUID, Name, Passphrase, Status string
	SSIDList                       []string // a JSON list or a comma-separated string in the export
	ExpirationDateTime             string
	UseDeviceCountLimit            bool
	DeviceCountLimit               int
	VLAN                           string // raw `vlanid` as text ("44", "", "0", "abc"); numbers become their text
}
