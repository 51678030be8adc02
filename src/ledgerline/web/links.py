"""m.me-style links: ``/m/{PAGE_ID}?ref=…`` opens the chat with that page in the web app
(``/?thread=PAGE_ID&ref=…``, which signs the person in first if needed). The web app then
tells the bank, with Messenger's ``referral`` (``chat.referrals``)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from ledgerline.chat.referrals import REF
from ledgerline.web.render import redirect

router = APIRouter(include_in_schema=False)


@router.get("/m/{page_id:int}")
async def open_link(request: Request, page_id: int) -> Response:
    query = {"thread": str(page_id)}
    ref = request.query_params.get("ref")
    if ref is not None and REF.fullmatch(ref):  # a malformed ref is dropped, not the link
        query["ref"] = ref
    return redirect("/?" + urlencode(query))
