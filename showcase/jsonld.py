"""schema.org JSON-LD for a business's public page, safe to place inside a <script> element."""

from __future__ import annotations

import json

from django.utils.translation import gettext

from businesses.models import Business
from showcase.selectors import RatingSummary

# A review's text may contain "</script>" or "<!--": escaped, they cannot end the element.
_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def business_jsonld(*, business: Business, summary: RatingSummary, reviews, url: str) -> str:
    """LocalBusiness with its aggregate rating (over every rating) and the reviews shown on the page."""
    data: dict = {"@context": "https://schema.org", "@type": "LocalBusiness", "name": business.name, "url": url}
    for key, value in (
        ("telephone", business.phone),
        ("email", business.email),
        ("sameAs", business.website),
        ("image", business.logo_url),
    ):
        if value:
            data[key] = value
    if business.address:
        data["address"] = {"@type": "PostalAddress", "streetAddress": business.address.replace("\n", ", ")}
    if summary.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": summary.average_rating,
            "ratingCount": summary.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    data["review"] = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": review.published_display_name or gettext("Anonymous")},
            "datePublished": (review.published_at or review.created_at).date().isoformat(),
            "reviewBody": review.published_comment,
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": review.feedback.rating,
                "bestRating": 5,
                "worstRating": 1,
            },
        }
        for review in reviews
    ]
    return json.dumps(data, ensure_ascii=False).translate(_ESCAPES)
