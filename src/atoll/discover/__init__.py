"""Discovery: the communities, people and conversations a person may want to grow with.

Three suggestions, each with the reason it is made: communities for you (where the people you
work with — above all those in other units — are active, and whose topics match your skills),
people who know about a topic (skills, accepted answers, what they wrote), and what is active
in your network this week. Every query joins the visibility rules of the spaces and people
policies: a suggestion only ever names what the viewer may see.
"""
