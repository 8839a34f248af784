import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from crm.models import Customer, CustomerImport


def xlsx(rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    b = io.BytesIO()
    wb.save(b)
    return b.getvalue()


@pytest.mark.django_db
def test_smoke(world, as_sales):
    data = xlsx(
        [
            ["姓名", "手机", "QQ", "来源", "意向课程", "consultant", "id"],
            ["张三", "13900000001", "", "官方网站", "Python全栈开发", "boss", "9"],
            ["李四", "13900000001", "", "官方网站", "", "", ""],
            ["王五", "+8613800000002", "", "", "", "", ""],
            ["", "13900000009", "", "", "", "", ""],
            ["赵六", 13900000005, "=1+2", "", "", "", ""],
        ]
    )
    r = as_sales.get(reverse("crm:customer-import"))
    assert r.status_code == 200
    r = as_sales.post(reverse("crm:customer-import"), {"file": SimpleUploadedFile("a.xlsx", data)})
    assert r.status_code == 302, r.content.decode()[-3000:]
    rec = CustomerImport.objects.get()
    r = as_sales.get(r.url)
    assert r.status_code == 200
    print(rec.mapping)
    post = {
        f"column_{i}": v
        for i, v in enumerate(["name", "phone", "qq", "source", "interested_courses", "", ""])
    }
    post.update(owner="me", default_source=world.source.pk)
    r = as_sales.post(reverse("crm:customer-import-detail", args=[rec.pk]), post)
    assert r.status_code == 302
    rec.refresh_from_db()
    print(rec.status, rec.message, rec.created_count, rec.duplicate_count, rec.error_count)
    for p in rec.problems.all():
        print(p.row_number, p.kind, p.message, p.values)
    r = as_sales.get(reverse("crm:customer-import-detail", args=[rec.pk]))
    assert r.status_code == 200
    r = as_sales.get(reverse("crm:customer-import-report", args=[rec.pk]))
    assert r.status_code == 200
    r = as_sales.get(reverse("crm:customer-import-template"))
    assert r.status_code == 200
    r = as_sales.get(reverse("crm:customer-mine") + f"?imported={rec.pk}")
    assert "张三" in r.content.decode()
    c = Customer.objects.get(name="张三")
    print(
        c.consultant, c.phone, list(c.interested_courses.all()), c.history.count(), c.ownership_events.all()
    )
    assert rec.created_count == 2
