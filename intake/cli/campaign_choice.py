"""``--campaign NAME``: which of the configured campaigns a command works on."""
from __future__ import annotations

import click

from intake.core.config import CampaignSettings, ConfigError, Settings

campaign_option = click.option(
    "--campaign", "campaign_name", default=None, metavar="NAME",
    help="The campaign (campaigns[].name in config.yaml); needed when several are configured.",
)


def chosen_campaigns(settings: Settings, name: str | None) -> list[CampaignSettings]:
    """The campaign named, or every campaign when none is."""
    if name is None:
        return list(settings.campaigns)
    try:
        return [settings.campaign_named(name)]
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--campaign") from None


def one_campaign(settings: Settings, name: str | None) -> CampaignSettings:
    """The campaign named, or the only one configured; several and none named is an error."""
    if name is None and len(settings.campaigns) > 1:
        names = ", ".join(campaign.name for campaign in settings.campaigns)
        raise click.UsageError(f"配置了多个活动，请用 --campaign 指定其一：{names}"
                               f" / several campaigns are configured: name one with --campaign")
    return chosen_campaigns(settings, name)[0]
