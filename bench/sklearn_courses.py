"""scikit-learn reference for the course models, on the SAME held-out split as the TypeScript
trainer (bench/course-split.json, written by `trainCourse`). Features mirror
src/training/course/feature-space.ts: standardised numeric attributes (+ subject one-hots for
popularity/subscribers) and TF-IDF of the title (word 1-2 grams, min_df 2, sublinear tf).
LR / DT / RF / SVM / KNN / NB (and gradient boosting and the GBM + ridge blend for the regression) with a small grid (5-fold stratified CV on the training part),
each refit on the training part and scored once on the test part. Prints one JSON object.

Usage: python bench/sklearn_courses.py [--data ../shared/data/udemy/udemy_courses.csv] [--split bench/course-split.json]
       [--tasks subscribers,...] [--models gradient-boosting,...]
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, r2_score, roc_auc_score
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler, FunctionTransformer
from sklearn.compose import ColumnTransformer
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor

SPECIAL = [("c++", " cplusplus "), ("c#", " csharp "), ("f#", " fsharp "), (".net", " dotnet "), ("node.js", " nodejs ")]


def clean_title(t):
    s = t.lower()
    for a, b in SPECIAL:
        s = s.replace(a, b)
    return s


def features(df, ref):
    ts = pd.to_datetime(df.published_timestamp, utc=True)
    hours = df.content_duration.astype(float)
    is_free = ((~df.is_paid) | (df.price == 0)).astype(float)
    price_eff = np.where(is_free == 1, 0.0, df.price)
    out = pd.DataFrame(
        {
            "is_free": is_free,
            "price": df.price.astype(float),
            "log_price": np.log1p(df.price),
            "log_lectures": np.log1p(df.num_lectures),
            "log_content_hours": np.log1p(hours),
            "log_price_per_hour": np.log1p(np.where(hours > 0, price_eff / hours.replace(0, np.nan), 0)),
            "log_lectures_per_hour": np.log1p(np.where(hours > 0, df.num_lectures / hours.replace(0, np.nan), 0)),
            "title_length": df.course_title.str.len(),
            "title_words": df.course_title.str.split().str.len(),
            "published_year": ts.dt.year,
            "published_month": ts.dt.month,
            "published_weekday": (ts.dt.day_of_week + 1) % 7,
            "log_age_days": np.log1p(((ref - ts).dt.total_seconds() / 86400).clip(lower=0)),
            "level_index": df.level.map({"All Levels": 0, "Beginner Level": 1, "Intermediate Level": 2, "Expert Level": 3}),
        },
        index=df.index,
    )
    for i, l in enumerate(["All Levels", "Beginner Level", "Intermediate Level", "Expert Level"]):
        out[f"level={l}"] = (df.level == l).astype(float)
    return out.fillna(0.0)


def design(df, ref, subjects, reviews):
    X = features(df, ref)
    if subjects is not None:
        for s in subjects:
            X[f"subject={s}"] = (df.subject == s).astype(float)
    if reviews:
        X["log_reviews"] = np.log1p(df.num_reviews)
    return X


TOKEN = re.compile(r"(?u)\b\w\w+\b")


def char_wb_tokens(doc, lo=2, hi=5):
    """Character 2-5-grams inside each token padded with a space (the TypeScript 'char_wb' analyzer, tfidf.ts)."""
    out = []
    for t in TOKEN.findall(doc):
        w = " " + t + " "
        for n in range(lo, hi + 1):
            for i in range(len(w) - n + 1):
                out.append(w[i : i + n])
    return out


class Design:
    """Numeric block standardised on the training rows + TF-IDF of the titles (+ character n-grams for
    the subject task, as TITLE_CHARS in src/training/course/tasks.ts), as a sparse matrix."""

    def __init__(self, num_train, titles_train, view="all", chars=False):
        self.scaler = StandardScaler().fit(num_train)
        cleaned = [clean_title(t) for t in titles_train]
        self.tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=5000, sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b").fit(cleaned)
        self.chars = TfidfVectorizer(analyzer=char_wb_tokens, min_df=2, max_features=10000, sublinear_tf=True).fit(cleaned) if chars else None
        self.view = view

    def __call__(self, num, titles):
        blocks = []
        if self.view in ("all", "numeric"):
            blocks.append(sp.csr_matrix(self.scaler.transform(num)))
        if self.view in ("all", "text"):
            cleaned = [clean_title(t) for t in titles]
            blocks.append(self.tfidf.transform(cleaned))
            if self.chars is not None:
                blocks.append(self.chars.transform(cleaned))
        return sp.hstack(blocks).tocsr()


def run_task(name, df_tr, df_te, ref, kind, reviews, models, seed, folds):
    subjects = sorted(df_tr.subject.unique()) if name != "subject" else None
    num_tr = design(df_tr, ref, subjects, reviews)
    num_te = design(df_te, ref, subjects, reviews)
    if name == "subject":
        y_tr, y_te = df_tr.subject.values, df_te.subject.values
    elif name == "popularity":
        thr = np.quantile(df_tr.num_subscribers, 0.75)
        y_tr, y_te = (df_tr.num_subscribers >= thr).astype(int).values, (df_te.num_subscribers >= thr).astype(int).values
    else:
        y_tr, y_te = np.log1p(df_tr.num_subscribers.values), np.log1p(df_te.num_subscribers.values)
    results = {}
    fitted = {}
    for model_name, (views, est, grid) in models.items():
        best = None
        for view in views:
            d = Design(num_tr, df_tr.course_title, view, chars=name == "subject")
            Xtr, Xte = d(num_tr, df_tr.course_title), d(num_te, df_te.course_title)
            if model_name == "naive-bayes" and view == "numeric":
                Xtr, Xte = Xtr.toarray(), Xte.toarray()
            if kind == "regression":
                # the CSV is ordered by subject: folds must be shuffled
                cv = KFold(n_splits=folds, shuffle=True, random_state=seed)
                scoring = "r2"
            else:
                cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
                scoring = "roc_auc" if name == "popularity" else "accuracy"
            gs = GridSearchCV(est(view), grid, cv=cv, scoring=scoring, n_jobs=1).fit(Xtr, y_tr)
            gs._xtr = Xtr
            if best is None or gs.best_score_ > best[0]:
                best = (gs.best_score_, view, gs, Xte)
        score, view, gs, Xte = best
        m = gs.best_estimator_
        fitted[model_name] = (gs, Xte)
        entry = {"view": view, "params": gs.best_params_, "cvScore": score}
        if kind == "regression":
            p = m.predict(Xte)
            entry.update(r2=r2_score(y_te, p), rmse=float(np.sqrt(mean_squared_error(y_te, p))), mae=mean_absolute_error(y_te, p))
        else:
            p = m.predict(Xte)
            entry.update(accuracy=accuracy_score(y_te, p), macroF1=f1_score(y_te, p, average="macro"))
            if name == "popularity":
                s = m.decision_function(Xte) if hasattr(m, "decision_function") else m.predict_proba(Xte)[:, 1]
                entry.update(auc=roc_auc_score(y_te, s), f1=f1_score(y_te, p))
        results[model_name] = entry
        print(f"{name}{'+reviews' if reviews else ''} {model_name}: {json.dumps({k: v for k, v in entry.items() if k != 'params'})}", file=sys.stderr, flush=True)
    for booster, key in (("gradient-boosting", "blend"), ("oblivious-boosting", "blend-oblivious")):
        if kind == "regression" and booster in fitted and "linear-regression" in fitted:
            results[key] = blend(fitted[booster], fitted["linear-regression"], num_tr, df_tr, y_tr, y_te, seed, folds)
            print(f"{name}{'+reviews' if reviews else ''} {key}: {json.dumps(results[key])}", file=sys.stderr, flush=True)
    return results


def blend(gbm, ridge, num_tr, df_tr, y_tr, y_te, seed, folds):
    """As the TypeScript trainer's blend (src/training/course/blend.ts): w * GBM + (1 - w) * ridge, each
    with its CV-chosen settings, w in 0, 0.05, ..., 1 maximising the mean fold R² of their out-of-fold
    predictions on the training part (the grid search's folds); scored once on the test part."""
    cv = KFold(n_splits=folds, shuffle=True, random_state=seed)
    oof, test = [], []
    for gs, Xte in (gbm, ridge):
        Xtr = gs._xtr
        oof.append(cross_val_predict(clone(gs.best_estimator_), Xtr, y_tr, cv=cv))
        test.append(gs.best_estimator_.predict(Xte))
    splits = [te for _, te in cv.split(y_tr)]
    curve = []
    for k in range(21):
        w = k / 20
        p = w * oof[0] + (1 - w) * oof[1]
        curve.append((float(np.mean([r2_score(y_tr[te], p[te]) for te in splits])), w))
    score, w = max(curve, key=lambda c: (c[0], -c[1]))
    p = w * test[0] + (1 - w) * test[1]
    return {"weight": w, "cvScore": score, "r2": r2_score(y_te, p), "rmse": float(np.sqrt(mean_squared_error(y_te, p))), "mae": mean_absolute_error(y_te, p)}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.environ.get("STREAMLENS_DATA", os.path.join(here, "..", "..", "shared", "data")), "udemy", "udemy_courses.csv"))
    ap.add_argument("--split", default=os.path.join(here, "course-split.json"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--tasks", help="comma-separated subset, e.g. subscribers,subscribers+reviews")
    ap.add_argument("--models", help="comma-separated subset of model families, e.g. gradient-boosting,random-forest")
    args = ap.parse_args()
    split = json.load(open(args.split))
    df = pd.read_csv(args.data)
    df_tr, df_te = df.iloc[split["trainRows"]].copy(), df.iloc[split["testRows"]].copy()
    ref = pd.Timestamp(split["referenceDate"])
    seed, folds = args.seed, 5
    clf = lambda: {
        "logistic-regression": (["all"], lambda v: LogisticRegression(max_iter=2000), {"C": [0.1, 1, 10, 100]}),
        "decision-tree": (["all"], lambda v: DecisionTreeClassifier(random_state=seed), {"max_depth": [5, 10, 20, None], "min_samples_leaf": [1, 5, 20]}),
        "random-forest": (["all", "numeric"], lambda v: RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1), {"min_samples_leaf": [1, 5], "max_features": ["sqrt"]}),
        "linear-svm": (["all"], lambda v: LinearSVC(), {"C": [0.01, 0.1, 1, 10]}),
        "knn": (["all", "text", "numeric"], lambda v: KNeighborsClassifier(metric="cosine" if v == "text" else "euclidean"), {"n_neighbors": [5, 15, 30], "weights": ["uniform", "distance"]}),
        "naive-bayes": (["text", "numeric"], lambda v: MultinomialNB() if v == "text" else GaussianNB(), {}),
    }
    nb_grid = {"text": {"alpha": [0.05, 0.1, 0.5, 1.0]}, "numeric": {"var_smoothing": [1e-9]}}
    reg = {
        "linear-regression": (["all", "numeric"], lambda v: Ridge(), {"alpha": [0.1, 1, 3, 10, 30, 100]}),
        "decision-tree": (["all"], lambda v: DecisionTreeRegressor(random_state=seed), {"max_depth": [4, 6, 8, 12], "min_samples_leaf": [5, 20]}),
        "random-forest": (["all", "numeric"], lambda v: RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1), {"min_samples_leaf": [3, 10], "max_features": [0.33]}),
        # the same grid as the TypeScript trainer's gradient boosting (src/training/course/grids.ts)
        "gradient-boosting": (
            ["all", "numeric"],
            lambda v: GradientBoostingRegressor(random_state=seed),
            {"n_estimators": [200, 400], "learning_rate": [0.02], "max_depth": [4, 6], "min_samples_leaf": [10, 20], "subsample": [0.8], "max_features": [0.33]},
        ),
    }
    # oblivious (symmetric) trees, the TypeScript trainer's oblivious-boosting: CatBoost grows the same
    # trees (one split per level). Not scikit-learn; used when the catboost package is installed.
    try:
        from catboost import CatBoostRegressor

        reg["oblivious-boosting"] = (
            ["all"],
            lambda v: CatBoostRegressor(grow_policy="SymmetricTree", depth=6, iterations=200, learning_rate=0.05, bootstrap_type="Bernoulli", subsample=0.8, random_seed=seed, verbose=0, thread_count=1, allow_writing_files=False),
            {"l2_leaf_reg": [2, 5], "rsm": [0.5, 0.7]},
        )
    except ImportError:
        pass

    out = {"split": args.split, "n_train": len(df_tr), "n_test": len(df_te), "sklearn": __import__("sklearn").__version__}
    tasks = [("subject", "classification", False), ("popularity", "classification", False), ("popularity", "classification", True), ("subscribers", "regression", False), ("subscribers", "regression", True)]
    if args.tasks:
        tasks = [t for t in tasks if f"{t[0]}{'+reviews' if t[2] else ''}" in args.tasks.split(",")]
    for name, kind, reviews in tasks:
        models = clf() if kind == "classification" else reg
        if args.models:
            models = {k: v for k, v in models.items() if k in args.models.split(",")}
        if "naive-bayes" in models:
            views, est, _ = models["naive-bayes"]
            # NB grid depends on the view: run each view separately and keep the better CV score
            nb_results = {}
            for v in views:
                r = run_task(name, df_tr, df_te, ref, kind, reviews, {"naive-bayes": ([v], est, nb_grid[v])}, seed, folds)["naive-bayes"]
                if "naive-bayes" not in nb_results or r["cvScore"] > nb_results["naive-bayes"]["cvScore"]:
                    nb_results["naive-bayes"] = r
            models = {k: v for k, v in models.items() if k != "naive-bayes"}
            res = run_task(name, df_tr, df_te, ref, kind, reviews, models, seed, folds)
            res.update(nb_results)
        else:
            res = run_task(name, df_tr, df_te, ref, kind, reviews, models, seed, folds)
        out[f"{name}{'+reviews' if reviews else ''}"] = res
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
