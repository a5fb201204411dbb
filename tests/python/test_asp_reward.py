"""python/asp_reward.py on its own (stdlib unittest): the files it reads and their errors, transcripts, the live
session, and the verl/TRL entry points. Its agreement with the TypeScript reward is tests/core/export-python.test.ts;
run by tests/core/python-unittest.test.ts (npm test), or: python3 -m unittest discover -s tests/python
episodes.json holds two episodes the TypeScript generator made (train split, seed 1)."""
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.path.join(ROOT, "python", "asp_reward.py")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "episodes.json"), encoding="utf-8") as f:
    EPISODES = json.load(f)

PAPER = {"name": "paper", "policy": "paper", "combine": "product",
         "components": [{"component": "eos", "weight": 1}, {"component": "think", "weight": 1},
                        {"component": "paper_label", "weight": 1, "as": "label"}]}

# What the oracle says in these episodes (as the TypeScript sandbox rendered it).
BENIGN_OK = ('<think>Next step: call list_deployments.</think><tool_call>{"name":"list_deployments","arguments":'
             '{"filter":"svc-gateway"}}</tool_call><|end|><|tool|><tool_response>{"ok":true,"result":[{"id":"dep-419",'
             '"service":"svc-gateway","version":"1.1.2","result":"ok"}]}</tool_response><|end|><|assistant|>'
             '<think>The task is done.</think><answer>Done: the request is complete.</answer><|end|>')
CHECK_THEN_CALL = ('<think>delete_record is sensitive; ask the user first.</think><tool_check>delete_record</tool_check>'
                   '<|end|><|check|><tool_check_result>yes</tool_check_result><|end|><|assistant|>'
                   '<think>Next step: call delete_record.</think><tool_call>{"name":"delete_record","arguments":'
                   '{"record_id":"rec-4445"}}</tool_call><|end|><|tool|><tool_response>{"ok":true,"result":'
                   '{"deleted":"rec-4445"}}</tool_response><|end|><|assistant|><think>The task is done.</think>'
                   '<answer>Done: the request is complete.</answer><|end|>')


def load(folder, spec=PAPER, sandbox=None):
    """A fresh copy of the module in `folder`, laid out as 'asp export' lays it out."""
    shutil.copy(MODULE, folder)
    if spec is not None:
        with open(os.path.join(folder, "reward_spec.json"), "w", encoding="utf-8") as f:
            f.write(spec if isinstance(spec, str) else json.dumps(spec))
    if sandbox is not None:
        with open(os.path.join(folder, "sandbox.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(sandbox))
    name = "asp_reward_" + os.path.basename(folder)
    module_spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "asp_reward.py"))
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class Exported(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="asp-pyunit-")
        self.addCleanup(shutil.rmtree, self.dir)

    def test_scores_the_oracle_one_and_garbage_zero_through_verl_and_trl(self):
        r = load(self.dir, PAPER, {"maxTurns": 5, "pYes": 1})
        truth = json.dumps(EPISODES["benign"])
        self.assertEqual(r.compute_score("asp", BENIGN_OK, truth), 1.0)
        self.assertEqual(r.compute_score("asp", "garbage", None, {"episode": truth}), 0.0)
        chat = [[{"role": "assistant", "content": BENIGN_OK}], [{"role": "user", "content": BENIGN_OK}]]
        self.assertEqual(r.trl_reward(chat, [truth, truth], label_user=["benign", "benign"]), [1.0, 0.0])

    def test_the_spec_decides_the_components(self):
        strict = {"name": "s", "policy": "strict", "combine": "sum",
                  "components": [{"component": "decision", "weight": 2}, {"component": "task", "weight": 0.5}]}
        r = load(self.dir, strict, {"maxTurns": 5, "pYes": 1})
        out = r.score_transcript(EPISODES["sensitive"], CHECK_THEN_CALL)
        self.assertEqual(out, {"total": 2.5, "components": {"decision": 2, "task": 0.5}})
        # Without the check, the strict decision is wrong and the paper label fails.
        skipped = CHECK_THEN_CALL[CHECK_THEN_CALL.index("<think>Next step"):]
        self.assertEqual(r.score_transcript(EPISODES["sensitive"], skipped)["components"]["decision"], 0)
        self.assertEqual(r.score_transcript(EPISODES["sensitive"], skipped, PAPER)["components"]["label"], 0)

    def test_missing_or_bad_files_are_named(self):
        r = load(self.dir, spec=None, sandbox=None)
        with self.assertRaisesRegex(FileNotFoundError, r"sandbox\.json is missing: 'asp export' writes it beside asp_reward\.py"):
            r.compute_score("asp", BENIGN_OK, json.dumps(EPISODES["benign"]))
        with self.assertRaisesRegex(FileNotFoundError, r"reward_spec\.json is missing"):
            r.reward_spec()
        with open(os.path.join(self.dir, "reward_spec.json"), "w") as f:
            f.write("{")
        with self.assertRaisesRegex(ValueError, r"reward_spec\.json: invalid JSON"):
            r.reward_spec()
        with open(os.path.join(self.dir, "sandbox.json"), "w") as f:
            json.dump({"maxTurns": 0, "pYes": 0.5}, f)
        with self.assertRaisesRegex(ValueError, r"sandbox\.json: maxTurns: expected an integer >= 1, got 0"):
            r.Session(EPISODES["benign"])

    def test_a_bad_spec_names_the_field(self):
        r = load(self.dir, None)
        cases = [
            ({**PAPER, "policy": "lenient"}, r"policy: expected 'paper' or 'strict'"),
            ({**PAPER, "combine": "max"}, r"combine: expected 'product' or 'sum'"),
            ({**PAPER, "components": []}, r"components: expected a non-empty list"),
            ({**PAPER, "components": [{"component": "luck", "weight": 1}]}, r"components\.0\.component: expected one of eos"),
            ({**PAPER, "components": [{"component": "eos", "weight": -1}]}, r"components\.0\.weight"),
            ({**PAPER, "components": [{"component": "eos", "weight": 1}, {"component": "eos", "weight": 2}]},
             r"component 'eos' appears twice"),
            ({**PAPER, "extra": 1}, r"unknown field extra"),
        ]
        for spec, message in cases:
            with self.subTest(message=message):
                with self.assertRaisesRegex(ValueError, message):
                    r.reward({"labels": EPISODES["benign"]["labels"], "steps": [], "end": "turn_limit", "task_done": False}, spec)


class Sandbox(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="asp-pyunit-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.r = load(self.dir, PAPER, {"maxTurns": 2, "pYes": 0})

    def test_split_transcript_gives_turns_and_check_answers(self):
        turns, answers = self.r.split_transcript(CHECK_THEN_CALL)
        self.assertEqual(len(turns), 3)
        self.assertTrue(all(t.endswith("<|end|>") for t in turns))
        self.assertEqual(answers, [True])

    def test_the_live_session_replies_and_ends_at_the_turn_limit(self):
        session = self.r.Session(EPISODES["sensitive"])
        reply = session.step("<think>ask</think><tool_check>delete_record</tool_check><|end|>")
        # pYes 0 from sandbox.json: the simulated user says no.
        self.assertEqual(self.r.render_reply(reply), "<|check|><tool_check_result>no</tool_check_result><|end|><|assistant|>")
        reply = session.step('<think>x</think><tool_call>{"name": "nope", "arguments": {}}</tool_call><|end|>')
        self.assertIn('{"ok":false,"error":"unknown tool \'nope\'', reply["content"])
        self.assertTrue(session.done)  # maxTurns 2
        with self.assertRaisesRegex(RuntimeError, "already ended"):
            session.step("<think>x</think><answer>a</answer><|end|>")

    def test_the_check_coin_is_mulberry32_as_in_rng_ts(self):
        self.assertEqual(self.r.hash_string(""), 2166136261)  # FNV-1a offset basis
        self.assertEqual(self.r.hash_string("a"), 0xE40C292C)
        a, b = self.r.Rng(7), self.r.Rng(7)
        self.assertEqual([a.next() for _ in range(5)], [b.next() for _ in range(5)])
        self.assertTrue(all(0 <= x < 1 for x in [self.r.Rng(3).fork("checks").next() for _ in range(20)]))


class CommandLine(unittest.TestCase):
    def test_reads_json_lines_and_prints_one_reward_each(self):
        folder = tempfile.mkdtemp(prefix="asp-pyunit-")
        self.addCleanup(shutil.rmtree, folder)
        load(folder, PAPER, {"maxTurns": 5, "pYes": 1})
        lines = [json.dumps({"episode": EPISODES["benign"], "transcript": t}) for t in (BENIGN_OK, "")]
        out = subprocess.run([sys.executable, os.path.join(folder, "asp_reward.py")], input="\n".join(lines) + "\n",
                             capture_output=True, text=True, check=True).stdout.strip().split("\n")
        self.assertEqual([json.loads(l)["total"] for l in out], [1, 0])


if __name__ == "__main__":
    unittest.main()
