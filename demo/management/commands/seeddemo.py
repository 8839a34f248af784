"""Load the demo school: roles, users, campuses, courses, classes and the data dictionary.

Idempotent: running it again changes nothing that is already there (passwords included).
It lives in its own app on top of the others, as it uses every one of them: the demo school has
customers, enrollments, lessons, a sales history, service tickets, campaigns and warnings.
"""

import io
from datetime import date
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image

from accounts.models import Department, User
from classroom.demo import seed_classroom, submit_demo_form
from crm.demo import DEMO, GENERATED, generate_customers
from crm.models import Campus, ClassList, Course, Customer, DictItem
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, EnrollmentDocument
from marketing.demo import seed_marketing
from rbac import defaults
from rbac.models import Role
from rbac.services import permissions_sync
from reports.demo import seed_sales_history
from risk.demo import seed_risk
from tickets.demo import seed_tickets

DEMO_PASSWORD = "educrm-demo"

DEPARTMENTS = [("行政部", "admin"), ("销售部", "sales"), ("教学部", "teaching"), ("财务部", "finance")]

# username, display name, department code, role slugs
USERS = [
    ("admin", "系统管理员", "admin", [defaults.ADMIN]),
    ("manager", "王主管", "sales", [defaults.SALES_MANAGER]),
    ("sales1", "李销售", "sales", [defaults.SALES]),
    ("sales2", "赵销售", "sales", [defaults.SALES]),
    ("finance", "钱财务", "finance", [defaults.FINANCE]),
    ("teacher1", "孙老师", "teaching", [defaults.TEACHER]),
    ("teacher2", "周老师", "teaching", [defaults.TEACHER]),
    ("student1", "吴同学", None, [defaults.STUDENT]),
]

SOURCES = [
    ("qq_group", "qq群"),
    ("referral", "内部转介绍"),
    ("website", "官方网站"),
    ("baidu", "百度推广"),
    ("so360", "360推广"),
    ("sogou", "搜狗推广"),
    ("ke_qq", "腾讯课堂"),
    ("gdt", "广点通"),
    ("campus_talk", "高校宣讲"),
    ("agent", "渠道代理"),
    ("cto51", "51cto"),
    ("zhihuitui", "智汇推"),
    ("wangmeng", "网盟"),
    ("dsp", "DSP"),
    ("seo", "SEO"),
    ("other", "其它"),
]
EDUCATION = [
    ("key_university", "重点大学"),
    ("bachelor", "普通本科"),
    ("independent_college", "独立院校"),
    ("private_bachelor", "民办本科"),
    ("junior_college", "大专"),
    ("private_junior_college", "民办专科"),
    ("high_school", "高中"),
    ("other", "其他"),
]
EXPERIENCE = [
    ("student", "在校生"),
    ("graduate", "应届毕业"),
    ("lt_half_year", "半年以内"),
    ("half_to_one_year", "半年至一年"),
    ("one_to_three_years", "一年至三年"),
    ("three_to_five_years", "三年至五年"),
    ("gt_five_years", "五年以上"),
]
CHANNELS = [
    ("phone", "电话"),
    ("wechat", "微信"),
    ("qq", "QQ"),
    ("visit", "到访面谈"),
    ("sms", "短信"),
    ("email", "邮件"),
]
INTENT_LEVELS = [
    ("no_plan", "近期无报名计划"),
    ("within_month", "1个月内报名"),
    ("within_two_weeks", "2周内报名"),
    ("within_week", "1周内报名"),
    ("enrolled", "已报名"),
    ("enrolled_elsewhere", "已在其它机构报名"),
    ("invalid", "无效"),
]
WORK_STATUS = [("employed", "在职"), ("unemployed", "待业"), ("studying", "在校")]
GENDERS = [("male", "男"), ("female", "女")]
DEMO_CUSTOMERS = 300
# Beyond the demo's customers, a generated school (benchmarks) has this many more consultants.
GENERATED_CONSULTANTS = 100

DICTIONARY = {
    DictItem.Kind.SOURCE: SOURCES,
    DictItem.Kind.EDUCATION: EDUCATION,
    DictItem.Kind.EXPERIENCE: EXPERIENCE,
    DictItem.Kind.FOLLOW_UP_CHANNEL: CHANNELS,
    DictItem.Kind.INTENT_LEVEL: INTENT_LEVELS,
    DictItem.Kind.WORK_STATUS: WORK_STATUS,
    DictItem.Kind.GENDER: GENDERS,
}

PYTHON_OUTLINE = """第一阶段 Python 基础：语法、数据类型、函数、模块、面向对象
第二阶段 网络与并发：socket、进程线程协程
第三阶段 前端：HTML、CSS、JavaScript、Bootstrap
第四阶段 Django 全栈：ORM、模板、表单、认证、部署
第五阶段 项目实战：CRM 与电商项目"""
LINUX_OUTLINE = """第一阶段 Linux 基础：命令行、文件系统、用户与权限
第二阶段 服务：Nginx、MySQL、Redis、负载均衡
第三阶段 自动化：Shell、Python 运维脚本、Ansible
第四阶段 容器与监控：Docker、Kubernetes、Prometheus"""
CONTRACT = """培训服务协议（示例）
一、乙方自愿报名参加甲方开设的课程，并按约定缴纳学费。
二、甲方按课程大纲提供教学服务；乙方遵守学校管理规定。
三、开课后退费按学校退费规定办理。"""


class Command(BaseCommand):
    help = "Load the demo school (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            users, python_class, linux_class = self._school()
        team = [users["sales1"], users["sales2"], users["manager"]]
        self._customers(min(options["customers"], DEMO_CUSTOMERS), team, DEMO)
        if options["customers"] > DEMO_CUSTOMERS:
            team += self._generated_team(users["sales1"].department)
            self._customers(options["customers"], team, GENERATED)
        with transaction.atomic():
            self._enrollments(users["sales1"], users["finance"], python_class=python_class)
            enrolled = seed_sales_history(
                teacher=users["teacher1"],
                adviser=users["teacher2"],
                reviewer=users["finance"],
                manager=users["manager"],
                consultants=team,
            )
            if enrolled:
                self.stdout.write(
                    f"Added the sales history: {enrolled} signed customers enrolled and billed."
                )
            if seed_classroom(
                python_class=python_class,
                linux_class=linux_class,
                teacher=users["teacher1"],
                adviser=users["teacher2"],
                student_user=users["student1"],
                consultant=users["sales2"],
                reviewer=users["finance"],
            ):
                self.stdout.write("Added students, lessons, roll calls, graded homework and questions.")
        with transaction.atomic():
            seed_tickets()
            seed_risk()
            seed_marketing()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, display_name, _department, role_slugs in USERS:
            self.stdout.write(f"  {username:<10} {display_name}  ({', '.join(role_slugs)})")

    def _school(self):
        """Roles, departments, the demo logins, campuses, courses, the two demo classes and the
        data dictionary; returns (users by name, Python 9, Linux 40)."""
        permissions_sync()
        departments = {
            code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
            for name, code in DEPARTMENTS
        }
        users = {}
        for username, display_name, department_code, role_slugs in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": display_name,
                    "email": f"{username}@demo.educrm.local",
                    "department": departments.get(department_code),
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                user.roles.set(Role.objects.filter(slug__in=role_slugs))
            users[username] = user

        beijing, _ = Campus.objects.get_or_create(name="北京", defaults={"address": "北京市昌平区沙河镇"})
        shanghai, _ = Campus.objects.get_or_create(name="上海", defaults={"address": "上海市浦东新区"})
        python, _ = Course.objects.get_or_create(
            name="Python全栈开发",
            defaults={
                "default_price": Decimal("19800"),
                "outline": PYTHON_OUTLINE,
                "contract_template": CONTRACT,
            },
        )
        linux, _ = Course.objects.get_or_create(
            name="Linux运维",
            defaults={
                "default_price": Decimal("16800"),
                "outline": LINUX_OUTLINE,
                "contract_template": CONTRACT,
            },
        )
        self._class(
            python, beijing, 9, date(2026, 9, 1), date(2027, 3, 1), users["teacher1"], users["teacher2"]
        )
        self._class(
            linux, shanghai, 40, date(2026, 10, 10), date(2027, 2, 10), users["teacher2"], users["teacher1"]
        )

        for kind, items in DICTIONARY.items():
            for order, (code, label) in enumerate(items, start=1):
                DictItem.objects.get_or_create(
                    kind=kind, code=code, defaults={"label": label, "order": order}
                )

        return (
            users,
            ClassList.objects.get(course=python, campus=beijing, semester=9),
            ClassList.objects.get(course=linux, campus=shanghai, semester=40),
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=DEMO_CUSTOMERS,
            help=f"Make sure at least this many customers exist (default {DEMO_CUSTOMERS}); "
            "generated in bulk, for benchmarks too.",
        )

    def _customers(self, wanted: int, consultants, profile) -> None:
        existing = Customer.objects.count()
        if wanted > existing:
            made = generate_customers(
                wanted - existing, consultants=consultants, profile=profile, start_number=existing
            )
            self.stdout.write(f"Generated {made} customers.")

    def _generated_team(self, department) -> list[User]:
        """The sales team of a generated school: consultant001 .. consultant100 (demo password)."""
        names = [f"consultant{number:03d}" for number in range(1, GENERATED_CONSULTANTS + 1)]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        password = make_password(DEMO_PASSWORD)
        made = User.objects.bulk_create(
            User(
                username=name,
                display_name=f"顾问{name.removeprefix('consultant')}",
                department=department,
                password=password,
            )
            for name in names
            if name not in existing
        )
        Role.users.through.objects.bulk_create(
            Role.users.through(role=Role.objects.get(slug=defaults.SALES), user=user) for user in made
        )
        return list(User.objects.filter(username__in=names).order_by("username"))

    def _enrollments(self, consultant, reviewer, *, python_class) -> None:
        """Four of the consultant's customers enrolling, one in each state (only once)."""
        if Enrollment.objects.exists():
            return
        customers = list(
            Customer.objects.live()
            .filter(consultant=consultant, status=Customer.Status.UNSIGNED)
            .order_by("pk")[:4]
        )
        photo = io.BytesIO()
        Image.new("RGB", (320, 200), (225, 232, 240)).save(photo, format="PNG")
        for number, (customer, state) in enumerate(
            zip(customers, ("open", "submitted", "rejected", "approved"), strict=False)
        ):
            enrollment = enrollment_services.enrollment_create(
                customer=customer, class_list=python_class, by=consultant
            )
            if state == "open":
                continue
            for kind in (EnrollmentDocument.Kind.ID_FRONT, EnrollmentDocument.Kind.ID_BACK):
                enrollment_services.enrollment_document_add(
                    enrollment=enrollment, data=photo.getvalue(), filename=f"{kind}.png", kind=kind
                )
            submit_demo_form(enrollment, number)
            if state == "rejected":
                enrollment_services.enrollment_reject(
                    enrollment=enrollment, by=reviewer, reason="身份证照片不清晰，请重新上传。"
                )
            elif state == "approved":
                enrollment_services.enrollment_approve(
                    enrollment=enrollment,
                    by=reviewer,
                    may_exceed_capacity=True,
                    base_url="http://127.0.0.1:8000/",
                )
        self.stdout.write(f"Enrolled {len(customers)} demo customers (open, submitted, rejected, approved).")

    def _class(self, course, campus, semester, start, graduate, teacher, adviser):
        class_list, created = ClassList.objects.get_or_create(
            course=course,
            campus=campus,
            semester=semester,
            defaults={
                "price": course.default_price,
                "start_date": start,
                "graduate_date": graduate,
                "adviser": adviser,
            },
        )
        if created:
            class_list.teachers.add(teacher)
