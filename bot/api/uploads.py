"""Photo upload for the web widget (`POST /api/v1/uploads`): the widget stores the photo first, then sends the
chat turn with `metadata.photo_ids` (see docs/contracts.md). Uploads have their own rate limit per resident and per
address (`bot.limits.check_upload_rate`); decoding is capped and the store has a quota (`bot.reports.photos`)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from bot.alerts import record_staff_alert
from bot.deps import ChatDep, FactoryDep, SettingsDep
from bot.limits import check_upload_rate
from bot.reports.photos import PhotoQuotaFull, PhotoRejected, PhotoStore, PhotoStoreUnavailable

router = APIRouter(prefix="/api/v1", tags=["uploads"])
PHOTO_TYPES = "image/jpeg, image/png, image/webp"


@router.post(
    "/uploads",
    responses={
        200: {"description": '`{"photo_id": str, "gps": {"lat", "lon"} | null}`'},
        400: {"description": "not an image / cannot be decoded"},
        413: {"description": "too large"},
        415: {"description": "unsupported format (HEIC…)"},
        503: {"description": "photo store unavailable, full, or busy decoding other photos"},
    },
    openapi_extra={  # the file part must be one of these image types (anything else: 400 / 415)
        "requestBody": {
            "content": {"multipart/form-data": {"encoding": {"file": {"contentType": PHOTO_TYPES}}}}
        }
    },
)
async def upload_photo(
    request: Request,
    settings: SettingsDep,
    factory: FactoryDep,
    chat: ChatDep,
    file: UploadFile = File(..., description="JPEG, PNG or WebP, at most 10 MB"),
    sender_id: str = Form(..., min_length=1, max_length=128),
) -> JSONResponse:
    """Store one resident photo (metadata stripped); GPS read from it is returned for the location step."""
    resident_key = chat.resident_key("web", sender_id)
    check_upload_rate(request, resident_key)
    store = PhotoStore.from_settings(settings)
    data = await file.read(store.max_bytes + 1)
    try:
        stored = await anyio.to_thread.run_sync(
            lambda: store.store_photo(data, file.content_type, owner=resident_key)
        )
    except PhotoRejected as exc:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message_ja})
    except PhotoStoreUnavailable as exc:
        details = {"error": str(exc)[:300], "channel": "web"}
        if isinstance(exc, PhotoQuotaFull):
            kind = "photo_quota_full"
            message = (
                "写真の保存容量の上限(MADOGUCHI_PHOTO_QUOTA_MB)に達したため、写真を受け付けていません"
                "(古い写真の整理か上限の見直しをしてください)"
            )
        else:
            kind = "photo_store_unavailable"
            message = "写真を保存できませんでした(ディスクの空き・権限を確認してください)"
        await anyio.to_thread.run_sync(lambda: record_staff_alert(factory, kind, message, details))
        return JSONResponse(status_code=503, content={"detail": exc.message_ja})
    gps = {"lat": stored.gps[0], "lon": stored.gps[1]} if stored.gps else None
    return JSONResponse(content={"photo_id": stored.photo_id, "gps": gps})
