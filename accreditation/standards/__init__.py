"""The consortium's standards in force: published checklist versions, stored assessments,
impact previews of tightening steps and gap reports for providers.

The pure engine (definitions, schedules, scoring) is ``accreditation.checklists``; this
package stores what was published and what was assessed, and asks the engine about them.
"""

from flask import Blueprint

bp = Blueprint("standards", __name__)
