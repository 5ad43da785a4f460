"""Dialog attachments: stored in GridFS's standard layout, type sniffed from the content, size
and types per tenant, downloadable only by those who may see the order and the entry."""

from __future__ import annotations

import base64

from portal_kit.gridfs import CHUNK_SIZE, GridFSStore
from portal_kit.principal import HEADER
from portal_kit.testing.plugin import make_principal
from portal_orders.testing import ASSIGN, COMMENT, CREATE, call, errors, ok

STAFF = make_principal("jm", user="staff-1", staff=True)
CONTRACTOR = make_principal("jm", user="ue-1", memberships={"org-contractor": ("user",)})
OTHER_CONTRACTOR = make_principal("jm", user="ue-2", memberships={"org-second": ("user",)})
FOREIGN_STAFF = make_principal("familjebostader", user="staff-fb", staff=True)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2400  # ~600 KB
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def attached(name, data):
    return {"filename": name, "contentBase64": base64.b64encode(data).decode()}


async def assigned_order(service):
    order = await ok(
        service,
        CREATE,
        STAFF,
        orderType="warranty",
        description="Sprekk i flis",
        customerOrganisationId="org-customer",
    )
    return await ok(
        service,
        ASSIGN,
        STAFF,
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId="org-contractor",
    )


async def download(service, file_id, principal):
    headers = {HEADER: service.signer.sign(principal)} if principal else {}
    return await service.client.get(f"/attachments/{file_id}", headers=headers)


async def test_files_go_to_gridfs_and_back_to_those_who_may_see_them(service):
    order = await assigned_order(service)
    order = await ok(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        text="Bilde av skaden",
        attachments=[attached("skade.jpg", PNG), attached("rapport", PDF)],
    )
    photo, report = order["activity"][-1]["attachments"]
    # The type comes from the content: the '.jpg' name does not make a PNG a JPEG.
    assert (photo["filename"], photo["contentType"], photo["size"]) == (
        "skade.jpg",
        "image/png",
        len(PNG),
    )
    assert report["contentType"] == "application/pdf"

    response = await download(service, photo["id"], CONTRACTOR)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert (await download(service, report["id"], STAFF)).content == PDF
    for outsider in (OTHER_CONTRACTOR, FOREIGN_STAFF):
        assert (await download(service, photo["id"], outsider)).status_code == 404
    assert (await download(service, "0" * 24, STAFF)).status_code == 404
    assert (await download(service, "not-an-id", STAFF)).status_code == 404

    # The standard GridFS layout: files + 255 KiB chunks, readable by GridFS tools.
    database = service.runtime.database
    stored = await database.system_collection("fs.files").find_one({"filename": "skade.jpg"})
    assert (stored["length"], stored["chunkSize"]) == (len(PNG), CHUNK_SIZE)
    assert stored["metadata"]["contentType"] == "image/png"
    chunks = (
        await database.system_collection("fs.chunks")
        .find({"files_id": stored["_id"]})
        .sort("n")
        .to_list(length=None)
    )
    assert [c["n"] for c in chunks] == [0, 1, 2]
    assert b"".join(bytes(c["data"]) for c in chunks) == PNG

    # An internal entry's files are for staff only.
    order = await ok(
        service,
        COMMENT,
        STAFF,
        id=order["id"],
        version=order["version"],
        text="Intern vurdering",
        visibility="internal",
        attachments=[attached("vurdering.pdf", PDF)],
    )
    internal = order["activity"][-1]["attachments"][0]
    assert (await download(service, internal["id"], STAFF)).status_code == 200
    assert (await download(service, internal["id"], CONTRACTOR)).status_code == 404


async def test_forbidden_types_and_too_large_files_are_refused_and_nothing_is_written(service):
    order = await assigned_order(service)
    refused = await call(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        text="Se vedlegg",
        attachments=[
            attached("bilde.png", EXE),
            attached("tom.pdf", b""),
            attached("stor.png", PNG[:16] + b"\x00" * (10 * 1024 * 1024)),
            {"filename": "ødelagt", "contentBase64": "###"},
            attached("ok.pdf", PDF),
        ],
    )
    assert errors(refused) == [
        ("attachments.0.content", "FORBIDDEN_TYPE"),
        ("attachments.1.content", "EMPTY"),
        ("attachments.2.content", "TOO_LARGE"),
        ("attachments.3.content", "INVALID"),
    ]
    database = service.runtime.database
    assert await database.system_collection("fs.files").count_documents({}) == 0
    again = await ok(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        text="Se vedlegg",
        attachments=[attached("ok.pdf", PDF)],
    )
    assert again["version"] == order["version"] + 1


async def test_files_of_a_comment_refused_as_stale_are_removed(service, monkeypatch):
    order = await assigned_order(service)
    database = service.runtime.database
    original_put = GridFSStore.put
    interleaved: list[dict] = []

    async def put_while_staff_comments(store, data, **options):
        # While the contractor's files are uploading, staff comment on the same order.
        if not interleaved:
            interleaved.append(
                await ok(
                    service,
                    COMMENT,
                    STAFF,
                    id=order["id"],
                    version=order["version"],
                    text="Vi ser på saken",
                )
            )
        return await original_put(store, data, **options)

    monkeypatch.setattr(GridFSStore, "put", put_while_staff_comments)
    refused = await call(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        text="Bilde av skaden",
        attachments=[attached("bilde.png", PNG), attached("rapport.pdf", PDF)],
    )
    assert errors(refused) == [("version", "STALE_VERSION")]
    assert interleaved, "the staff comment did not land during the upload"
    # Nothing of the refused comment stays in the bucket.
    assert await database.system_collection("fs.files").count_documents({}) == 0
    assert await database.system_collection("fs.chunks").count_documents({}) == 0

    # The contractor reloads and sends again: it works, and exactly its files are stored.
    monkeypatch.setattr(GridFSStore, "put", original_put)
    saved = await ok(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=interleaved[0]["version"],
        text="Bilde av skaden",
        attachments=[attached("bilde.png", PNG), attached("rapport.pdf", PDF)],
    )
    kept = saved["activity"][-1]["attachments"]
    files = await database.system_collection("fs.files").find({}).to_list(length=None)
    assert sorted(str(f["_id"]) for f in files) == sorted(a["id"] for a in kept)
    # The PNG's three 255 KiB chunks and the PDF's one.
    assert await database.system_collection("fs.chunks").count_documents({}) == 4
    for attachment in kept:
        response = await download(service, attachment["id"], CONTRACTOR)
        assert response.status_code == 200
    assert (await download(service, kept[0]["id"], CONTRACTOR)).content == PNG
