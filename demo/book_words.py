"""The demo book's vocabulary: company names, countries, people, and the lines they write.

demo/book_rows.py draws from it with a seeded random source, so the same words
come out on every run.
"""

from dataclasses import dataclass

from records.models import Client, TimelineEntry

Kind = TimelineEntry.Kind

ROOTS = (
    "Alder", "Aurora", "Bluefin", "Brightline", "Cedar", "Copperleaf", "Crescent", "Driftwood",
    "Evergreen", "Falcon", "Fieldstone", "Granite", "Harbor", "Helix", "Horizon", "Ironbridge",
    "Juniper", "Keystone", "Lakeside", "Lumen", "Maple", "Meridian", "Northgate", "Oakridge",
    "Orbit", "Pinnacle", "Quarry", "Redwood", "Riverbend", "Saffron", "Sierra", "Silverline",
    "Skyward", "Solstice", "Summit", "Tidewater", "Timberline", "Trident", "Vantage", "Vertex",
    "Willow", "Zephyr", "Bramble", "Castell", "Dunmore", "Elmstead", "Foxglove", "Greystone",
    "Highmoor", "Kestrel", "Larkspur", "Marlow", "Nettle", "Osprey", "Pemberton", "Quill",
    "Rowan", "Stirling", "Thistle", "Wexford",
)  # fmt: skip
# Company word -> industry.
TRADES = (
    ("Logistics", "Logistics"), ("Analytics", "Software"), ("Health", "Healthcare"),
    ("Foods", "Food & beverage"), ("Energy", "Energy"), ("Capital", "Financial services"),
    ("Robotics", "Manufacturing"), ("Labs", "Biotech"), ("Retail", "Retail"),
    ("Studios", "Media"), ("Systems", "Software"), ("Partners", "Consulting"),
    ("Engineering", "Manufacturing"), ("Travel", "Travel & hospitality"),
    ("Legal", "Legal services"), ("Learning", "Education"), ("Motors", "Automotive"),
    ("Pharma", "Pharmaceuticals"), ("Construction", "Construction"), ("Telecom", "Telecom"),
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    name: str
    code: str  # ISO 3166-1 alpha-2, as Client.country keeps it
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    phone_prefix: str
    tld: str
    company_form: str


COUNTRIES = (
    Country("Germany", "DE", ("Berlin", "Hamburg", "Munich", "Cologne"),
            ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Gartenweg"), "+49", "de", "GmbH"),
    Country("United Kingdom", "GB", ("London", "Manchester", "Leeds", "Bristol"),
            ("High Street", "Station Road", "Church Lane", "Park Avenue"), "+44", "co.uk", "Ltd"),
    Country("United States", "US", ("Boston", "Austin", "Denver", "Seattle"),
            ("Main Street", "Oak Avenue", "Market Street", "Elm Street"), "+1", "com", "Inc."),
    Country("Netherlands", "NL", ("Amsterdam", "Utrecht", "Rotterdam"),
            ("Keizersgracht", "Stationsplein", "Dorpsstraat"), "+31", "nl", "B.V."),
    Country("France", "FR", ("Paris", "Lyon", "Toulouse"),
            ("Rue de la Paix", "Avenue Victor Hugo", "Rue du Commerce"), "+33", "fr", "SAS"),
    Country("Sweden", "SE", ("Stockholm", "Gothenburg", "Malmö"),
            ("Storgatan", "Drottninggatan", "Kungsgatan"), "+46", "se", "AB"),
    Country("Spain", "ES", ("Madrid", "Barcelona", "Valencia"),
            ("Calle Mayor", "Gran Vía", "Calle de Alcalá"), "+34", "es", "S.L."),
)  # fmt: skip
SIZES = (Client.Size.SMALL, Client.Size.MEDIUM, Client.Size.LARGE, Client.Size.XLARGE,
         Client.Size.ENTERPRISE, Client.Size.SOLO, Client.Size.UNKNOWN)  # fmt: skip
SIZE_WEIGHTS = (25, 30, 20, 10, 6, 3, 6)
TAGS = ("vip", "renewal-q3", "newsletter", "partner", "upsell", "at-risk", "beta", "gdpr",
        "trade-show", "reference", "onboarding", "multi-site")  # fmt: skip
LIFECYCLE_WEIGHTS = {"lead": 30, "prospect": 25, "customer": 35, "churned": 10}
FIRST_NAMES = (
    "Anna", "Ben", "Chloé", "David", "Elif", "Femi", "Giulia", "Hugo", "Ines", "Jonas", "Karin",
    "Liam", "Maja", "Nils", "Olivia", "Pablo", "Quentin", "Rosa", "Samir", "Tessa", "Uma",
    "Victor", "Wen", "Yusuf", "Zoe", "Aisha", "Bruno", "Clara", "Emil", "Freya", "Jakob",
    "Lena", "Marco", "Nora", "Oskar", "Paula", "Rafael", "Sofia", "Theo", "Vera",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Baker", "Costa", "Dubois", "Eriksen", "Fernández", "Gallagher", "Hoffmann",
    "Ivanova", "Jansen", "Kowalski", "Laurent", "Müller", "Nakamura", "O'Brien", "Petrov",
    "Quinn", "Ramos", "Schmidt", "Tanaka", "Urban", "Visser", "Walsh", "Yilmaz", "Zimmermann",
    "Bauer", "Novak", "Moreau", "Lindgren", "Brennan",
)  # fmt: skip
TITLES = ("CEO", "CTO", "CFO", "Head of Operations", "IT Manager", "Procurement Lead",
          "Office Manager", "VP Sales", "Product Owner", "Finance Director",
          "Customer Service Manager", "Founder")  # fmt: skip
DEAL_KINDS = ("Annual licence", "Pilot", "Expansion", "Renewal", "Onboarding package",
              "Support plan", "Multi-site rollout", "Training", "API add-on")  # fmt: skip
LOSS_NOTES = ("", "", "Went with the incumbent vendor.", "Budget frozen until next year.",
              "Our offer was 20% above theirs.", "Project shelved after a reorganisation.",
              "No response after the proposal.")  # fmt: skip
TICKET_SUBJECTS = (
    "Cannot log in after password reset", "Invoice shows the wrong VAT rate",
    "Export to CSV times out", "Two-factor codes not arriving", "Add three more seats",
    "Dashboard loads slowly in the morning", "Webhook deliveries failing",
    "Cancel a duplicate order",
    "Data import stuck at 80%", "Question about the API rate limit", "Mobile app crashes on start",
    "Update billing address", "Emails land in spam", "Request for a training session",
    "Report numbers do not match", "SSO configuration help", "Attachment upload fails",
    "Change account owner", "Calendar sync missing events", "Feature request: dark mode",
)  # fmt: skip
ACTIVITY_LINES = {
    Kind.CALL: ("Discovery call with {contact}", "Follow-up call with {contact} about pricing",
                "Check-in call with {contact}", "Called {contact} about the renewal"),
    Kind.MEETING: ("Quarterly review with {contact}", "On-site demo for {contact}'s team",
                   "Kick-off meeting with {contact}", "Lunch with {contact}"),
    Kind.EMAIL: ("Sent the proposal to {contact}", "Emailed {contact} the case study",
                 "Sent {contact} the onboarding checklist", "Replied to {contact}'s questions"),
    Kind.NOTE: ("{contact} is evaluating two other vendors", "Budget approved for next quarter",
                "{contact} prefers calls on Tuesdays",
                "Decision expected after their board meeting"),
}  # fmt: skip
ACTIVITY_BODIES = (
    "",
    "",
    "**Next steps**\n\n- send the revised quote\n- book a demo for their IT team",
    "They liked the reporting module; concerns about migration effort.",
    "Agreed to revisit in two weeks. Pricing sheet: https://pricing.example.com/2026",
)
COMMENT_LINES = (
    "Spoke to them yesterday, they want a revised quote by Friday.",
    "I have added the signed NDA to the shared drive.",
    "Their procurement needs **two** more references.",
    "Looks good to me. Let's move forward.",
    "Can someone check whether the invoice went out?",
    "They asked about the *enterprise* tier; sending details.",
    "Customer confirmed the fix works on their side.",
    "Escalating: this is the third time this month.",
)
MENTION_LINES = (
    "@{name} can you approve the discount for this one?",
    "@{name} you met them at the trade show, any notes?",
    "Looping in @{name} for the technical questions.",
    "@{name} please take over while I am away next week.",
)
REPLY_LINES = ("Done, thanks!", "On it.", "Good point, I will follow up.", "Agreed.")
