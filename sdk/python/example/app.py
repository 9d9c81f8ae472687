from lockgate_connector import Connector, Operation, Outcome, Outcomes, hr, log


class Hello(Connector):
    def sync(self, trigger):
        seen = 0
        with Outcomes() as rows:
            for employee in hr.employees():
                seen += 1
                rows.push(Outcome.skipped(employee.id, Operation.SKIP, "seen, nothing to send"))
        log.info(f"saw {seen} employees")
