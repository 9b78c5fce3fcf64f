"""Forms of the commissioners' pages about the consortium itself."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from ..councils import may_join
from ..forms import Form


class JoinConsortiumForm(Form):
    # Any posted value reaches the operation, which says what is wrong with it.
    council_id = SelectField(
        "Council joining the consortium", widget=GovSelect(), coerce=str,
        validate_choice=False,
        description="Councils that run children's services: unitary authorities, "
                    "metropolitan districts, London boroughs and county councils.")
    join = SubmitField("Add to the consortium", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.council_id.choices = [SelectChoice("", "Select a council")] + [
            SelectChoice(str(council.id), council.name) for council in may_join()]


class LeaveConsortiumForm(Form):
    leave = SubmitField("Remove from the consortium", widget=GovSubmitInput())
