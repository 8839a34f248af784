"""Lookups that keep a hostile number from reaching the database."""

from django.db.models.lookups import In


class IntegerFieldIn(In):
    """`in` on an integer column, without the numbers the column cannot hold. Django's own exact,
    greater-than and less-than lookups leave those out (IntegerFieldOverflow); `in` sends them,
    and SQLite raises OverflowError past 64 bits, so a posted id such as 99999999999999999999 (a
    select of teachers, a batch of customers) was a server error instead of "no such choice"."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)
