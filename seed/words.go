package seed

// Word lists for plausible values. A few names are non-ASCII on purpose: JSON.stringify writes
// them as raw UTF-8, and the viewers must show them.

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
	"Mia", "Mateo", "Amelia", "Henry", "Harper", "Theo", "Evelyn", "Jack", "Chloé", "José",
	"Zoë", "Björn", "Łukasz", "Søren", "Ngọc", "Aïsha", "Renée", "François", "Priya", "Hiroshi",
	"Fatima", "Diego", "Ingrid", "Kwame", "Mei", "Omar", "Sven", "Lucía", "Nikhil", "Ana",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
	"Martinez", "Hernández", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
	"Jackson", "Martin", "Lee", "Pérez", "Thompson", "White", "Harris", "Müller", "Nguyễn", "Kowalski",
	"O'Brien", "Okafor", "Tanaka", "Johansson", "Dubois", "Rossi", "Novak", "Silva", "Kim", "Patel",
}

var companyA = []string{
	"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
	"Cyberdyne", "Tyrell", "Wonka", "Aperture", "Black Mesa", "Pied Piper", "Massive Dynamic",
	"Oscorp", "Gringotts", "Monarch", "Nakatomi", "Blue Sun", "Dunder", "Prestige", "Sterling",
}

var companyB = []string{
	"Labs", "Systems", "Analytics", "Logistics", "Health", "Capital", "Software", "Robotics",
	"Media", "Foods", "Energy", "Cloud", "Security", "Ventures", "Partners", "AI",
}

var tlds = []string{".com", ".io", ".co", ".ai", ".dev", ".net", ".org", ".co.uk", ".de", ".fr"}

var titles = []string{
	"CEO", "CTO", "VP of Sales", "Head of Growth", "Marketing Manager", "Sales Director",
	"Founder", "Co-founder", "Account Executive", "SDR Manager", "Head of Partnerships",
	"Director of Engineering", "Product Manager", "COO", "RevOps Lead", "Demand Gen Manager",
}

var industries = []string{
	"Software", "Financial Services", "Healthcare", "Logistics", "Retail", "Manufacturing",
	"Education", "Real Estate", "Media", "Telecommunications", "Energy", "Consulting",
}

var cities = []string{
	"San Francisco, CA", "New York, NY", "Austin, TX", "London, UK", "Berlin, DE", "Paris, FR",
	"Toronto, CA", "Amsterdam, NL", "São Paulo, BR", "Bengaluru, IN", "Singapore, SG",
	"Zürich, CH", "Tokyo, JP", "Sydney, AU", "Kraków, PL", "Lagos, NG",
}

var technologies = []string{
	"Salesforce", "HubSpot", "Google Workspace", "Slack", "Zendesk", "Intercom", "Stripe", "AWS",
	"Segment", "Snowflake", "React", "Next.js", "Shopify", "Marketo", "Outreach", "Gong",
	"Mixpanel", "Datadog", "Cloudflare", "Notion",
}

var leadStatuses = []string{"new", "contacted", "replied", "interested", "meeting_booked", "not_interested", "bounced", "unsubscribed"}

var campaignStatuses = []string{"draft", "scheduled", "active", "paused", "completed"}

var tags = []string{"enterprise", "smb", "warm", "cold", "webinar", "inbound", "priority", "q4", "churn-risk", "champion", "trial"}

var plans = []string{"free", "starter", "growth", "scale", "enterprise"}

var roles = []string{"owner", "admin", "member", "viewer"}

var aiModels = []string{"gpt-4", "gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-haiku"}

var sentences = []string{
	"I noticed your team recently expanded into new markets.",
	"Congrats on the recent funding round — exciting times.",
	"We help revenue teams book more meetings without adding headcount.",
	"Would it make sense to compare notes for fifteen minutes next week?",
	"Teams like yours usually lose hours every week to manual follow-ups.",
	"Our customers see reply rates double within the first month.",
	"I'd love to hear how you're handling outbound today.",
	"If now isn't a good time, just let me know and I'll circle back in Q1.",
	"Your post about scaling the SDR team resonated with me.",
	"Happy to send over a short case study if that's useful.",
	"Quick question: who owns deliverability on your side?",
	"Thanks for the reply — here's the deck we discussed.",
}

var intents = []string{"interested", "not_now", "referral", "question", "out_of_office", "unsubscribe"}

var sentiments = []string{"positive", "neutral", "negative"}

var apiPaths = []string{
	"/api/leads", "/api/campaigns", "/api/analytics/overview", "/api/workspaces/members",
	"/api/templates", "/api/deliverability/domains", "/api/integrations/hubspot/contacts",
	"/api/inbox/threads", "/api/sequences", "/api/reports/weekly",
}

var methodClasses = []struct{ class, method string }{
	{"LeadService", "getLeadsByWorkspace"}, {"LeadService", "search"}, {"CampaignService", "getStats"},
	{"AnalyticsService", "getFunnel"}, {"EnrichmentService", "lookupCompany"},
	{"DeliverabilityService", "checkDomain"}, {"WorkspaceService", "getUsage"},
	{"TemplateService", "render"},
}

var periods = []string{"daily", "weekly", "monthly"}

var spamRules = []string{"URIBL_BLOCKED", "HTML_MESSAGE", "MIME_HTML_ONLY", "FREEMAIL_FROM", "SUBJ_ALL_CAPS", "LOTS_OF_MONEY", "TRACKING_PIXEL", "SHORT_URL"}

var visitorPages = []string{"/", "/pricing", "/features", "/blog/cold-email-tips", "/customers", "/integrations/hubspot", "/demo", "/security"}

var signalTypes = []string{"pricing_page_visit", "email_open", "link_click", "job_change", "funding", "tech_install", "g2_research", "webinar_attended"}
