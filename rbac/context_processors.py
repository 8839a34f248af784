def rbac(request):
    access = getattr(request, "rbac", None)
    return {"rbac": access} if access is not None else {}
