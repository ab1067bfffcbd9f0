// The studio's QSettings keys and fixed strings, shared by the MainWindow's source files.
#pragma once

#include <QString>

namespace tp::studio_keys {

inline const QString kAppTitle = QStringLiteral("TrainPlan Studio");
inline const QString kLastDirKey = QStringLiteral("studio/lastOpenDir");
inline const QString kGeometryKey = QStringLiteral("studio/geometry");
inline const QString kWindowStateKey = QStringLiteral("studio/windowState");
inline const QString kAutoSolveKey = QStringLiteral("studio/autoSolve");
inline const QString kLastBoardKey = QStringLiteral("studio/lastBoard");
inline const QString kLastPresetKey = QStringLiteral("studio/lastPreset");
inline const QString kRecentFilesKey = QStringLiteral("studio/recentFiles");
inline constexpr int kMaxRecentFiles = 8;
// File ▸ Export firmware…: the last output folder, target and learning rate.
inline const QString kFirmwareDirKey = QStringLiteral("studio/firmwareDir");
inline const QString kFirmwareTargetKey = QStringLiteral("studio/firmwareTarget");
inline const QString kFirmwareLearningRateKey = QStringLiteral("studio/firmwareLearningRate");

}  // namespace tp::studio_keys
