"""What a campaign brought in: leads, deals, won revenue and return on its cost.

Credit follows the touches (marketing/attribution.py): a contact is a lead of
the campaign when one of its touches is the campaign's (a tracked click, or a
form sent from a link carrying the campaign's UTM name) — a *new* lead when
that was its first touch. A deal is the campaign's when the campaign was its
client's latest touch when the deal opened (the touch that brought the deal
about); its revenue counts once won. ROI compares the revenue in the
campaign's currency with its cost; revenue in other currencies is reported
beside it, not converted.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from marketing.models import Attribution, Campaign, Touch
from records.models import Deal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CampaignResults:
    leads: int
    new_leads: int
    deals: int
    won_deals: int
    won_revenue: Decimal  # in the campaign's currency
    cost: Decimal
    currency: str
    other_currencies: dict[str, Decimal] = field(default_factory=dict)

    @property
    def roi(self) -> Decimal | None:
        """(won revenue - cost) / cost, in percent; None while the campaign cost nothing."""
        if not self.cost:
            return None
        return ((self.won_revenue - self.cost) * HUNDRED / self.cost).quantize(Decimal("0.1"))


def campaign_results(campaign: Campaign) -> CampaignResults:
    """The campaign's results in three queries."""
    leads = (
        Touch.objects.filter(campaign=campaign, contact__isnull=False)
        .values("contact")
        .distinct()
        .count()
    )
    new_leads = Attribution.objects.filter(contact__isnull=False, first__campaign=campaign).count()
    revenue = _revenue_by_currency(campaign)
    deals = sum(row["deals"] for row in revenue)
    won = {row["deal__currency"]: row["won_value"] or Decimal(0) for row in revenue}
    return CampaignResults(
        leads=leads,
        new_leads=new_leads,
        deals=deals,
        won_deals=sum(row["won"] for row in revenue),
        won_revenue=won.pop(campaign.currency, Decimal(0)),
        cost=campaign.cost,
        currency=campaign.currency,
        other_currencies={currency: value for currency, value in won.items() if value},
    )


def _revenue_by_currency(campaign: Campaign) -> list[dict]:
    won = Q(deal__status=Deal.Status.WON)
    return list(
        Attribution.objects.filter(deal__isnull=False, latest__campaign=campaign)
        .values("deal__currency")
        .annotate(
            deals=Count("pk"),
            won=Count("pk", filter=won),
            won_value=Sum("deal__amount", filter=won),
        )
        .order_by("deal__currency")
    )
