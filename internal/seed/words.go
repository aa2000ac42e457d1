package seed

// The word lists the generated names are combined from. Product names are
// adjective + material + noun (+ a model now and then), so a search such as
// q=widget or q=oak matches a few percent of the catalog, as a real one would.

var firstNames = []string{
	"Ada", "Alan", "Alice", "Amara", "Andrei", "Anna", "Aroha", "Ben", "Bianca", "Bob",
	"Carla", "Chen", "Chloe", "Dara", "David", "Deepa", "Diego", "Elena", "Emeka", "Emma",
	"Farah", "Felix", "Fiona", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jack", "Jamal",
	"Jana", "Jonas", "Julia", "Kai", "Kenji", "Lara", "Leo", "Lina", "Luca", "Maya",
	"Mei", "Mia", "Nadia", "Noah", "Nora", "Omar", "Oscar", "Priya", "Rafael", "Rosa",
	"Sam", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Wen", "Yara", "Zoe",
}

var lastNames = []string{
	"Adeyemi", "Andersen", "Bauer", "Becker", "Brown", "Carvalho", "Chen", "Costa", "Dubois", "Evans",
	"Fischer", "Garcia", "Gonzalez", "Haddad", "Hansen", "Ito", "Jensen", "Johnson", "Kim", "Kowalski",
	"Lambert", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Müller", "Nakamura", "Nguyen",
	"Novak", "Okafor", "Olsen", "Patel", "Perez", "Petrov", "Rossi", "Santos", "Schmidt", "Silva",
	"Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Varga", "Wagner", "Walker", "Weber", "Wilson",
}

var companies = []string{
	"Acme Works", "Birch & Co", "Cobalt Supply", "Delta Fabrication", "Everline", "Foundry Nine",
	"Granite Labs", "Harbor Tools", "Ironbark", "Juniper Retail", "Keystone Parts", "Lumen Studio",
}

var streets = []string{
	"Maple Street", "Harbour Road", "Station Lane", "Mill Road", "Church Street", "Park Avenue",
	"Market Square", "King's Road", "Elm Grove", "Canal Walk", "High Street", "Quarry Lane",
}

var cities = []string{
	"Amsterdam", "Austin", "Berlin", "Bristol", "Copenhagen", "Dublin", "Kraków", "Lisbon",
	"Lyon", "Melbourne", "Montreal", "Osaka", "Oslo", "Portland", "Seoul", "Toronto",
}

var countries = []string{"AU", "CA", "DE", "DK", "FR", "GB", "IE", "JP", "KR", "NL", "NO", "PL", "PT", "US"}

var adjectives = []string{
	"Compact", "Heavy-Duty", "Ergonomic", "Portable", "Industrial", "Classic", "Deluxe", "Slim",
	"Rugged", "Adjustable", "Foldable", "Wireless", "Magnetic", "Stackable", "Precision", "Quiet",
	"Insulated", "Modular", "Reinforced", "Lightweight", "Weatherproof", "Rechargeable", "Vintage", "Smart",
}

var materials = []string{
	"Steel", "Aluminium", "Oak", "Walnut", "Bamboo", "Brass", "Copper", "Carbon",
	"Ceramic", "Glass", "Leather", "Canvas", "Nylon", "Rubber", "Titanium", "Cotton",
}

var nouns = []string{
	"Widget", "Gadget", "Toolbox", "Workbench", "Desk Lamp", "Shelf", "Clamp", "Wrench",
	"Screwdriver Set", "Hammer", "Ladder", "Storage Bin", "Cable Organizer", "Tape Measure", "Drill Bit Set", "Work Gloves",
	"Safety Glasses", "Extension Cord", "Flashlight", "Pallet Jack", "Hand Truck", "Stool", "Cart", "Vise",
	"Sander", "Saw", "Level", "Caliper", "Headlamp", "Backpack", "Water Bottle", "Apron",
	"Mallet", "Chisel", "Crate", "Hook Rack", "Tool Belt", "Knee Pads", "Dust Mask", "Label Maker",
}

var models = []string{"Mini", "Pro", "Max", "XL", "Plus", "II", "300", "500", "Lite", "Elite"}

var uses = []string{
	"workshops", "warehouses", "home garages", "job sites", "offices", "makers", "mechanics", "carpenters",
}

var notes = []string{
	"Please leave at the front desk.", "Gift wrap, please.", "Deliver after 5pm.",
	"Call on arrival.", "Fragile: handle with care.", "Ring the bell twice.",
}
